"""Local stand-ins for the outside parties, shared by the tests and the demo."""
