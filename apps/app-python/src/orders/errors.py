"""Domain errors. Every failure the program reports is one of these, with a clear message."""


class OrdersError(Exception):
    """Base class of the errors this program raises on purpose."""


class ConfigError(OrdersError):
    """The configuration (environment) is invalid; the message names the variable."""


class DependencyUnavailable(OrdersError):
    """A dependency (queue, table, pricing) cannot be reached now; retrying later may work."""

    def __init__(self, dependency: str, reason: str) -> None:
        super().__init__(f"{dependency} unavailable: {reason}")
        self.dependency = dependency
        self.reason = reason


class IdempotencyConflict(OrdersError):
    """The Idempotency-Key was already used with a different request body."""


class OrderNotFound(OrdersError):
    """No order with this id."""


class PermanentProcessingError(OrdersError):
    """Processing can never succeed for this message (bad message, unknown SKU): dead-letter it.

    ``error_type`` is the low-cardinality value recorded as the ``error.type`` attribute.
    """

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class TransientProcessingError(OrdersError):
    """Processing failed for now (dependency down, timeout): leave the message for redelivery."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
