"""frontends.github."""
