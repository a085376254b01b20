/// Renders `skiff image ls` the way `crictl images` does: one row per name, columns padded like
/// crictl's tabwriter (each cell 3 spaces wider than the column's longest, at least 20).
public enum ImageListFormatter {
    public static func format(_ images: [ImageRecord]) -> String {
        var rows: [[String]] = [["IMAGE", "TAG", "IMAGE ID", "SIZE"]]
        for image in images {
            let id = String(image.id.hasPrefix("sha256:") ? image.id.dropFirst(7).prefix(13) : image.id.prefix(13))
            let size = humanSize(image.size)
            let references = image.names.compactMap { try? ImageReference(parsing: $0) }
            if references.isEmpty {
                rows.append(["<none>", "<none>", id, size])
            }
            for reference in references {
                rows.append([reference.repository, reference.tag ?? "<none>", id, size])
            }
        }
        let columns = rows[0].count
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == columns - 1 ? cell : cell + String(repeating: " ", count: max(widths[column] + 3, 20) - cell.count)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    /// Decimal units with three significant digits, as Docker's units.HumanSizeWithPrecision(_, 3)
    /// prints them: "999B", "1.04MB", "2.2MB", "123MB".
    public static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return threeSignificantDigits(value) + units[unit]
    }

    /// Go's "%.3g" for 0 ≤ value < 1000: rounds to three significant digits, drops trailing zeros.
    static func threeSignificantDigits(_ value: Double) -> String {
        if value == 0 { return "0" }
        var decimals = 2
        if value >= 100 { decimals = 0 } else if value >= 10 { decimals = 1 }
        let scale = [1.0, 10.0, 100.0][decimals]
        let rounded = (value * scale).rounded() / scale
        if rounded >= 1000 { return "1e+03" }
        // Rounding can carry into the next decade (9.996 → 10.0): recount the decimals.
        if rounded >= 100 { decimals = 0 } else if rounded >= 10 { decimals = min(decimals, 1) }
        let scaled = Int64((rounded * [1.0, 10.0, 100.0][decimals]).rounded())
        var text = String(scaled)
        if decimals > 0 {
            while text.count <= decimals { text = "0" + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals))
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
