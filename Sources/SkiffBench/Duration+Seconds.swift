extension Duration {
    /// The duration in (fractional) seconds, for reporting.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
