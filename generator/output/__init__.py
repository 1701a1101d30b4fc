"""Step 7 and the rendered tree's shape: what a file says and the disk."""
