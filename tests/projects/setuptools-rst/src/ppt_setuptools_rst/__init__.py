def shout(text):
    """Upper-case text."""
    return text.upper()
