/// The buttons of the actions (`--allow-actions`): each a POST form carrying the
/// process's CSRF token, which the server checks before acting.
struct ActionForms: Sendable {
    let csrfToken: String

    func button(_ path: String, label: String) -> HTML {
        """
        <form class="inline" method="post" action="\(path)"><input type="hidden" name="csrf" value="\(csrfToken)">\
        <button>\(label)</button></form>
        """
    }
}
