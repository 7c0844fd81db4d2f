from tcrm.cli.main import main

main()
