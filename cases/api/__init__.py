"""The REST API under ``/api/v1/`` (DESIGN §7): thin views over the cases and workflows
services and selectors. Routes are in ``urls``; errors are mapped in ``exceptions``."""
