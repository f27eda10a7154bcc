from kindops.cli import main

main()
