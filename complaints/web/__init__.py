"""The staff browser console: agent console, branch work queue, ticket pages and search."""
