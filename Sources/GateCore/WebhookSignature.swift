import GateCrypto
import GateWire

/// `X-Gate-Signature: t=T,v2=HEX`, HEX = HMAC-SHA-256(secret, T "." event "." delivery "."
/// body): the timestamp, what happened and which delivery it is are all covered, so a receiver
/// can reject forgeries, replays and a body re-labelled as another event (SPEC.md §9.4).
public enum WebhookSignature {
    public static func header(secret: [UInt8], time: UInt64, event: String, delivery: String, body: [UInt8]) -> String {
        let mac = HMACSHA256.mac(key: secret, message: Array("\(time).\(event).\(delivery).".utf8) + body)
        return "t=\(time),v2=\(Hex.encode(mac))"
    }
}
