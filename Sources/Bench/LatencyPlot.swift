import Foundation

/// Latency by percentile, one line per load run, drawn as an SVG: the usual HdrHistogram view, where the
/// horizontal axis counts "nines" (0 %, 90 %, 99 %, 99.9 %, …) so that the tail is as wide as the body.
struct LatencyPlot {
    let title: String
    let series: [(name: String, latency: LatencyHistogram)]

    private static let colors = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ]
    private let width = 1100.0, height = 540.0
    private let left = 70.0, right = 360.0, top = 40.0, bottom = 50.0

    /// Points (nines, milliseconds) from p0 up to the last percentile the run's sample count supports.
    private func points(_ latency: LatencyHistogram) -> [(Double, Double)] {
        let count = Double(max(1, latency.count))
        let deepest = min(5, max(1, log10(count)))
        return stride(from: 0.0, through: deepest, by: 0.05).map { nines in
            let percentile = 100 * (1 - pow(10, -nines))
            return (nines, latency.milliseconds(at: percentile))
        }
    }

    func svg() -> String {
        let lines = series.map { (name: $0.name, points: points($0.latency)) }
        let maxNines = max(1, lines.flatMap { $0.points.map(\.0) }.max() ?? 1).rounded(.up)
        let maxMilliseconds = niceCeiling(lines.flatMap { $0.points.map(\.1) }.max() ?? 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ nines: Double) -> Double { left + nines / maxNines * plotWidth }
        func y(_ milliseconds: Double) -> Double { top + plotHeight - milliseconds / maxMilliseconds * plotHeight }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="24" font-size="16">\(escaped(title)): latency by percentile</text>

            """
        for nines in 0...Int(maxNines) {
            let label =
                nines == 0
                ? "0%"
                : nines == 1
                    ? "90%"
                    : "99" + (nines > 2 ? "." + String(repeating: "9", count: nines - 2) : "") + "%"
            let position = x(Double(nines))
            svg +=
                #"<line x1="\#(position)" y1="\#(top)" x2="\#(position)" y2="\#(top + plotHeight)" stroke="lightgray"/>"#
            svg += #"<text x="\#(position)" y="\#(top + plotHeight + 18)" text-anchor="middle">\#(label)</text>"#
            svg += "\n"
        }
        for step in 0...5 {
            let value = maxMilliseconds * Double(step) / 5
            let position = y(value)
            svg +=
                #"<line x1="\#(left)" y1="\#(position)" x2="\#(left + plotWidth)" y2="\#(position)" stroke="gainsboro"/>"#
            svg += #"<text x="\#(left - 8)" y="\#(position + 4)" text-anchor="end">\#(format(value))</text>"#
            svg += "\n"
        }
        svg += #"<text x="\#(left + plotWidth / 2)" y="\#(height - 10)" text-anchor="middle">percentile</text>"#
        svg +=
            #"<text x="16" y="\#(top + plotHeight / 2)" transform="rotate(-90 16 \#(top + plotHeight / 2))" text-anchor="middle">latency (ms)</text>"#
        svg += "\n"
        for (index, line) in lines.enumerated() {
            let color = Self.colors[index % Self.colors.count]
            let path = line.points.map { "\(format(x($0.0))),\(format(y($0.1)))" }.joined(separator: " ")
            svg += #"<polyline fill="none" stroke="\#(color)" stroke-width="2" points="\#(path)"/>"#
            let legendY = top + 20 * Double(index) + 10
            svg +=
                #"<line x1="\#(width - right + 15)" y1="\#(legendY)" x2="\#(width - right + 40)" y2="\#(legendY)" stroke="\#(color)" stroke-width="3"/>"#
            svg += #"<text x="\#(width - right + 46)" y="\#(legendY + 4)">\#(escaped(line.name))</text>"#
            svg += "\n"
        }
        return svg + "</svg>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    private func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= value } ?? 10 * power
    }

    private func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
