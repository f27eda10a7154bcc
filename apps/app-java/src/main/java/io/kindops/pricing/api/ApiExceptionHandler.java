package io.kindops.pricing.api;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.kindops.pricing.domain.Sku;
import io.kindops.pricing.domain.UnknownSkuException;
import io.kindops.pricing.faults.AdminDisabledException;
import io.kindops.pricing.faults.AdminUnauthorizedException;
import io.kindops.pricing.faults.InjectedFaultException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.MessageSourceResolvable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.lang.Nullable;
import org.springframework.validation.method.ParameterValidationResult;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every error into an RFC 7807 {@code application/problem+json} body. Validation problems
 * carry {@code errors: [{field, message}]}; unknown SKUs carry {@code skus}.
 */
@RestControllerAdvice
public class ApiExceptionHandler extends ResponseEntityExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

  @ExceptionHandler(UnknownSkuException.class)
  ProblemDetail unknownSku(UnknownSkuException e) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, e.getMessage());
    problem.setType(ProblemTypes.UNKNOWN_SKU);
    problem.setTitle("Unknown SKU");
    problem.setProperty("skus", e.skus().stream().map(Sku::value).toList());
    return problem;
  }

  @ExceptionHandler(InjectedFaultException.class)
  ProblemDetail injectedFault(InjectedFaultException e) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, e.getMessage());
    problem.setType(ProblemTypes.INJECTED_FAULT);
    problem.setTitle("Injected fault");
    return problem;
  }

  @ExceptionHandler(AdminDisabledException.class)
  ProblemDetail adminDisabled(AdminDisabledException e) {
    // Answer like any path that does not exist: a disabled admin API is not advertised.
    return ProblemDetail.forStatus(HttpStatus.NOT_FOUND);
  }

  @ExceptionHandler(AdminUnauthorizedException.class)
  ProblemDetail adminUnauthorized(AdminUnauthorizedException e) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED, e.getMessage());
    problem.setType(ProblemTypes.ADMIN_UNAUTHORIZED);
    problem.setTitle("Admin token required");
    return problem;
  }

  @ExceptionHandler(Exception.class)
  ProblemDetail unexpected(Exception e) {
    log.error("unhandled error", e);
    return ProblemDetail.forStatusAndDetail(
        HttpStatus.INTERNAL_SERVER_ERROR, "The server failed to handle the request.");
  }

  @Override
  @Nullable
  protected ResponseEntity<Object> handleMethodArgumentNotValid(
      MethodArgumentNotValidException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    List<FieldError> errors = new ArrayList<>();
    ex.getBindingResult()
        .getFieldErrors()
        .forEach(f -> errors.add(new FieldError(f.getField(), message(f))));
    ex.getBindingResult()
        .getGlobalErrors()
        .forEach(g -> errors.add(new FieldError(g.getObjectName(), message(g))));
    return validationProblem(errors, headers);
  }

  @Override
  @Nullable
  protected ResponseEntity<Object> handleHandlerMethodValidationException(
      HandlerMethodValidationException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    List<FieldError> errors = new ArrayList<>();
    for (ParameterValidationResult result : ex.getParameterValidationResults()) {
      String name = result.getMethodParameter().getParameterName();
      for (MessageSourceResolvable error : result.getResolvableErrors()) {
        errors.add(new FieldError(name == null ? "parameter" : name, message(error)));
      }
    }
    return validationProblem(errors, headers);
  }

  @Override
  @Nullable
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    if (!(ex.getMostSpecificCause() instanceof JsonParseException)
        && ex.getCause() instanceof MismatchedInputException mismatch
        && !mismatch.getPath().isEmpty()) {
      String field = jsonPath(mismatch.getPath());
      return validationProblem(List.of(new FieldError(field, "has the wrong type")), headers);
    }
    return validationProblem(List.of(new FieldError("body", "is not valid JSON")), headers);
  }

  private ResponseEntity<Object> validationProblem(List<FieldError> errors, HttpHeaders headers) {
    List<FieldError> sorted =
        errors.stream()
            .sorted(Comparator.comparing(FieldError::field).thenComparing(FieldError::message))
            .toList();
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(
            HttpStatus.BAD_REQUEST,
            sorted.stream()
                .map(e -> e.field() + ": " + e.message())
                .collect(Collectors.joining("; ")));
    problem.setType(ProblemTypes.VALIDATION);
    problem.setTitle("Invalid request");
    problem.setProperty("errors", sorted);
    return ResponseEntity.badRequest().headers(headers).body(problem);
  }

  private static String message(MessageSourceResolvable error) {
    String message = error.getDefaultMessage();
    return message == null ? "is invalid" : message;
  }

  private static String jsonPath(List<JsonMappingException.Reference> path) {
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference ref : path) {
      if (ref.getFieldName() != null) {
        if (!out.isEmpty()) {
          out.append('.');
        }
        out.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        out.append('[').append(ref.getIndex()).append(']');
      }
    }
    return out.isEmpty() ? "body" : out.toString();
  }
}
