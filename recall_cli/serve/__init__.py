"""`recall serve`: the support desk as a local web page and a JSON API.

desk.py holds the loaded data and the answers (no HTTP); web.py is the Starlette
application and its guards (token, Host, CSP, CSRF, logs without patient values);
server.py binds the socket and runs uvicorn. Starlette, uvicorn and Jinja2 are
imported only by `recall serve`.
"""
