"""The ``lls`` command: administration of the store, and (with the service) license requests."""
