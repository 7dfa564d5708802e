"""Plotly figure builders. Every figure goes through `theme.styled` for one look across the app."""
