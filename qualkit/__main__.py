from qualkit.cli import main

main()
