"""The web front end: dashboard, web chat and JSON API on port 5000 (FastAPI + uvicorn in the service loop)."""
