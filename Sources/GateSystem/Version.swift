/// gate's version, shared by `gate --version` and `gate-server --version`.
public enum GateVersion {
    public static let string = "0.1.0"
}
