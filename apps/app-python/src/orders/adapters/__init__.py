"""Adapters to the outside: SQS, DynamoDB and the pricing service (app-java)."""
