"""Lab AWS jobs: inventory, cleanup plan/apply with recovery records, restore, budget checks.

Layers (imports point down):

- ``config``  the versioned rules file (pydantic, unknown keys rejected)
- ``model``   inventory / plan documents
- ``tags``    tag value parsers (RFC 3339 ``expires-at``, ``ttl``, ``keep``)
- ``rules``   the pure decision layer: one resource -> action + reason
- ``prices``  the documented monthly price table
- ``plan``    inventory -> plan (pure)
- ``client``  boto3 access (endpoint from the standard AWS environment), error mapping
- ``inventory`` / ``apply`` / ``restore`` / ``budget`` / ``demo``  the API-facing parts
- ``report``  Markdown for people
- ``jobs``    the functions each CLI command runs
"""
