"""Ingest: read exports (CSV, XLSX, CRM exports through mappings) into the raw schema."""
