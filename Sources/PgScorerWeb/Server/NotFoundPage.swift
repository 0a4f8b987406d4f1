import Hummingbird

/// A path that names no page gets a page that says so, with the navigation, not an
/// empty 404.
struct NotFoundPage: RouterMiddleware {
    typealias Context = DashboardRequestContext
    let actionsAllowed: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let body: HTML = "<p class=\"error\" id=\"problem\">There is no page at \(request.uri.path). The pages are in the navigation above.</p>"
            return html(Layout.page(title: "Not found", section: .overview, actionsAllowed: actionsAllowed, refresh: false, body), status: .notFound)
        }
    }
}
