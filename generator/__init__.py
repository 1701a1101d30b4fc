"""infergen: compile short model-serving specs into Config Sync-ready GKE manifests."""
