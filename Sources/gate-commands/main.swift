import GateCLI

GateMain.main()
