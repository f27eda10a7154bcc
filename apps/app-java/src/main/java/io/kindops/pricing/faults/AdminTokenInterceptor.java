package io.kindops.pricing.faults;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.servlet.HandlerInterceptor;

/** Guards {@code /admin/**} with the shared {@value #HEADER} secret. */
public class AdminTokenInterceptor implements HandlerInterceptor {

  /** Header carrying the admin token. */
  public static final String HEADER = "X-Admin-Token";

  private static final Logger log = LoggerFactory.getLogger(AdminTokenInterceptor.class);

  private final AdminProperties properties;

  public AdminTokenInterceptor(AdminProperties properties) {
    this.properties = Objects.requireNonNull(properties, "properties");
  }

  @Override
  public boolean preHandle(
      HttpServletRequest request, HttpServletResponse response, Object handler) {
    if (!properties.enabled()) {
      throw new AdminDisabledException();
    }
    String presented = request.getHeader(HEADER);
    if (presented == null || presented.isEmpty()) {
      reject(request, "missing " + HEADER + " header");
    } else if (!MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8),
        properties.token().getBytes(StandardCharsets.UTF_8))) {
      reject(request, "wrong " + HEADER);
    }
    return true;
  }

  private static void reject(HttpServletRequest request, String reason) {
    log.atWarn()
        .setMessage("admin request rejected")
        .addKeyValue("admin.reason", reason)
        .addKeyValue("client.address", request.getRemoteAddr())
        .addKeyValue("http.request.method", request.getMethod())
        .addKeyValue("url.path", request.getRequestURI())
        .log();
    throw new AdminUnauthorizedException(reason);
  }
}
