/// Record classes: only IN is served from the cluster zone.
public enum DNSClass {
    public static let internet: UInt16 = 1
    public static let any: UInt16 = 255
}
