import SkiffSystem

/// runc-style command-line parsing: `--name value`, `--name=value`, short aliases, boolean
/// switches, and flags only before the first positional argument (so `exec ID sh -c …` works).
struct Arguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var positionals: [String] = []

    /// - Parameters:
    ///   - valued: flags that take a value, with their aliases ("bundle", "b").
    ///   - switches: boolean flags.
    init(_ arguments: ArraySlice<String>, valued: [[String]], switches: [[String]]) throws {
        var canonical: [String: (name: String, takesValue: Bool)] = [:]
        for names in valued { for name in names { canonical[name] = (names[0], true) } }
        for names in switches { for name in names { canonical[name] = (names[0], false) } }
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                positionals += rest
                break
            }
            guard argument.hasPrefix("-"), argument.count > 1, positionals.isEmpty else {
                positionals.append(argument)
                if !positionals.isEmpty && !argument.hasPrefix("-") {
                    positionals += rest
                    break
                }
                continue
            }
            let stripped = argument.drop { $0 == "-" }
            let parts = stripped.split(separator: "=", maxSplits: 1)
            let key = String(parts[0])
            guard let flag = canonical[key] else { throw RuntimeError("flag provided but not defined: -\(key)") }
            if flag.takesValue {
                if parts.count == 2 {
                    values[flag.name, default: []].append(String(parts[1]))
                } else if let value = rest.popFirst() {
                    values[flag.name, default: []].append(value)
                } else {
                    throw RuntimeError("flag needs an argument: -\(key)")
                }
            } else {
                let value = parts.count == 2 ? String(parts[1]) : "true"
                values[flag.name, default: []].append(value)
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func flag(_ name: String) -> Bool { values[name]?.last.map { $0 != "false" } ?? false }

    func int(_ name: String) throws -> Int64? {
        guard let text = value(name) else { return nil }
        guard let number = Int64(text) else { throw RuntimeError("invalid value \(text.quoted) for flag --\(name): not a number") }
        return number
    }

    /// The container id: the first positional, required.
    func id(_ verb: String) throws -> String {
        guard let id = positionals.first, !id.isEmpty else {
            throw RuntimeError("\(verb): container id cannot be empty (usage: skiff-runc \(verb) [options] <container-id>)")
        }
        return id
    }
}

/// Signal names as runc accepts them: "KILL", "SIGKILL" or "9".
enum Signals {
    static let names: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
        "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19,
        "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28,
        "IO": 29, "PWR": 30, "SYS": 31,
    ]

    static func parse(_ text: String) throws -> Int32 {
        if let number = Int32(text), number > 0, number < 65 { return number }
        let name = text.uppercased().hasPrefix("SIG") ? String(text.uppercased().dropFirst(3)) : text.uppercased()
        guard let signal = names[name] else { throw RuntimeError("unknown signal \(text.quoted)") }
        return signal
    }
}

/// Byte sizes as runc's flags take them: "1048576", "512k", "100m", "1g".
func parseBytes(_ text: String, flag: String) throws -> Int64 {
    if text == "-1" { return -1 }
    let units: [Character: Int64] = ["b": 1, "k": 1024, "m": 1024 * 1024, "g": 1024 * 1024 * 1024]
    var digits = text.lowercased()
    if digits.hasSuffix("b") && digits.count > 1 && units[digits[digits.index(before: digits.index(before: digits.endIndex))]] != nil {
        digits.removeLast()
    }
    var multiplier: Int64 = 1
    if let last = digits.last, let unit = units[last] {
        multiplier = unit
        digits.removeLast()
    }
    guard let value = Int64(digits), value >= 0 else { throw RuntimeError("invalid value \(text.quoted) for flag --\(flag)") }
    return value * multiplier
}
