import Glibc

/// Long output on a terminal goes through `$PAGER` (default `less -FRX`: quits if it fits, keeps
/// colour, leaves the text on screen), as git does. Anything else is written directly.
public enum Pager {
    public static func show(_ text: String) {
        var size = winsize()
        let lines = text.utf8.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        guard System.isTerminal(1), ioctl(1, UInt(TIOCGWINSZ), &size) == 0, lines >= Int(size.ws_row) else {
            System.write(1, text)
            return
        }
        let pager = System.envNonEmpty("PAGER") ?? "less -FRX"
        var fds: [Int32] = [0, 0]
        guard pager != "cat", pipe(&fds) == 0 else { System.write(1, text); return }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        // $PAGER is the user's own setting, a command line by convention: sh reads it.
        let words: [String] = ["/bin/sh", "-c", pager]
        let argv = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0 else {
            close(fds[0]); close(fds[1])
            System.write(1, text)
            return
        }
        close(fds[0])
        signal(SIGPIPE, SIG_IGN)  // the reader may quit early
        System.write(fds[1], text)
        close(fds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
