import GateRun

RunMain.main()
