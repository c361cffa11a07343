/// `page`, `limit`, `sort_by`, `sort_order` of the contract, checked.
struct PageRequest {
    let page: Int
    let limit: Int
    let sortBy: String
    let descending: Bool

    init(_ query: [String: String], sortable: Set<String>, defaultSort: String) throws(APIError) {
        func number(_ name: String, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
            guard let text = query[name] else { return value }
            guard let number = Int(text), range.contains(number) else {
                throw APIError(
                    .unprocessableEntity, "VAL_001", "\(name) must be a whole number in \(range)", field: name)
            }
            return number
        }
        page = try number("page", default: 1, range: 1...1_000_000)
        limit = try number("limit", default: 20, range: 1...100)
        sortBy = query["sort_by"] ?? defaultSort
        guard sortable.contains(sortBy) else {
            throw APIError(
                .unprocessableEntity, "VAL_001", "sort_by is one of \(sortable.sorted().joined(separator: ", "))",
                field: "sort_by")
        }
        switch query["sort_order"] ?? "asc" {
        case "asc": descending = false
        case "desc": descending = true
        default: throw APIError(.unprocessableEntity, "VAL_001", "sort_order is asc or desc", field: "sort_order")
        }
    }

    /// The requested page of `items`, already sorted.
    func slice<T>(_ items: [T]) -> (items: ArraySlice<T>, pagination: Pagination) {
        let start = min(items.count, (page - 1) * limit)
        let end = min(items.count, start + limit)
        let totalPages = (items.count + limit - 1) / limit
        return (
            items[start..<end],
            Pagination(
                total: items.count, page: page, pageSize: limit, totalPages: totalPages,
                hasNext: page < totalPages, hasPrev: page > 1)
        )
    }
}

/// The `pagination` object of a list answer.
struct Pagination: Encodable {
    let total: Int
    let page: Int
    let pageSize: Int
    let totalPages: Int
    let hasNext: Bool
    let hasPrev: Bool

    enum CodingKeys: String, CodingKey {
        case total, page, pageSize = "page_size", totalPages = "total_pages", hasNext = "has_next", hasPrev = "has_prev"
    }
}

/// `{"data": [...], "pagination": {...}}`.
struct Page<Item: Encodable>: Encodable {
    let data: [Item]
    let pagination: Pagination
}
