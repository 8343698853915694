from recall_cli.cli.commands import main

main()
