"""The Streamlit dashboard: `app.py` routes to `views/`; `queries` holds every SQL statement
(read-only, on the marts), `charts` the Plotly figures, `exports` the downloads."""
