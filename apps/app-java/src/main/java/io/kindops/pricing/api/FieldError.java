package io.kindops.pricing.api;

/**
 * One entry of the {@code errors} member of a validation problem.
 *
 * @param field path of the offending field, e.g. {@code items[0].quantity}
 * @param message what is wrong with it
 */
public record FieldError(String field, String message) {}
