// Renders the API reference from this deployment's OpenAPI document with Swagger UI
// (served from this deployment: no CDN, works offline). No inline script on the page.
window.addEventListener('load', () => {
  window.SwaggerUIBundle({
    url: document.getElementById('reference').dataset.openapi,
    dom_id: '#reference',
    deepLinking: true,
    tryItOutEnabled: false,
    // Never send the document to a third-party validator.
    validatorUrl: null,
    persistAuthorization: false,
  })
})
