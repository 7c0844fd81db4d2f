from tcrm.cli.launch import main

main()
