"""The web app: public pages, health, and (later) the case API and staff console."""
