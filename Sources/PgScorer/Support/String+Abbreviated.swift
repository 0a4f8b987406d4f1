extension String {
    /// The text, cut to 60 characters for error messages.
    package var abbreviated: String { count > 60 ? prefix(57) + "…" : self }
}
