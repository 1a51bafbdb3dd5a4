"""Running Balie as a cluster: Rasa plug-ins for shared state and the one-machine topology."""
