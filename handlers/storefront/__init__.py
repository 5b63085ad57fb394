"""The storefront: /start, the menu, help, language, the catalogue, search, fallback."""
