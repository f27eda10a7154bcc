"""Config backups: cluster manifests, Grafana and Argo CD — verified, retained, restorable.

``kindops backup run|verify|prune|list|restore-plan``; see ``README.md`` beside this module.
"""
