package io.kindops.pricing.faults;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Fault injection applies to the business API only ({@code /api/**}), never to actuator or admin
 * endpoints; the admin token guards {@code /admin/**}.
 */
@Configuration(proxyBeanMethods = false)
public class FaultsWebConfiguration implements WebMvcConfigurer {

  private final FaultInjector injector;
  private final AdminProperties adminProperties;

  public FaultsWebConfiguration(FaultInjector injector, AdminProperties adminProperties) {
    this.injector = injector;
    this.adminProperties = adminProperties;
  }

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry.addInterceptor(new FaultInterceptor(injector)).addPathPatterns("/api/**");
    registry
        .addInterceptor(new AdminTokenInterceptor(adminProperties))
        .addPathPatterns("/admin/**");
  }
}
