# Nothing secret is output: the database password stays in SSM and in the local state.

output "endpoint" {
  description = "Base URL of the API through the load balancer, https:// when certificate_arn is set; `make loadtest ENDPOINT=<this>`."
  value       = "${local.https ? "https" : "http"}://${aws_lb.app.dns_name}"
}

output "log_group" {
  description = "CloudWatch log group holding the app's JSON log lines (query them with Logs Insights)."
  value       = aws_cloudwatch_log_group.app.name
}

output "region" {
  description = "AWS region everything was created in."
  value       = var.aws_region
}

output "ecr_repository_url" {
  description = "ECR repository the image is pushed to."
  value       = aws_ecr_repository.app.repository_url
}

output "ecs_cluster" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.app.name
}

output "ecs_service" {
  description = "ECS service name."
  value       = aws_ecs_service.app.name
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer: the name a certificate for it must hold (README, Security)."
  value       = aws_lb.app.dns_name
}
