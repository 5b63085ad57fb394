"""The order form: from a service to a placed order."""
