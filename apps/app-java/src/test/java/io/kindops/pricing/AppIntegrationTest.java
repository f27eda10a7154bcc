package io.kindops.pricing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;

/**
 * The whole application on a random port, with in-memory telemetry readers. Every test class
 * carrying this annotation shares one application context (and one server).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "ADMIN_TOKEN=" + AppIntegrationTest.ADMIN_TOKEN,
      "DEPLOYMENT_ENVIRONMENT=" + AppIntegrationTest.ENVIRONMENT
    })
@ActiveProfiles("test")
@Import(TestTelemetryConfiguration.class)
@ExtendWith(OutputCaptureExtension.class)
public @interface AppIntegrationTest {

  /** The admin token the application is started with. */
  String ADMIN_TOKEN = "it-admin-token-0123456789";

  /** The deployment environment the application is started with. */
  String ENVIRONMENT = "it-env";
}
