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

# The load generator's, empty unless loadgen_enabled; deploy loadtest reads them.

output "loadgen_task_definition" {
  description = "ARN of the load generator's task definition (deploy loadtest)."
  value       = var.loadgen_enabled ? aws_ecs_task_definition.loadgen[0].arn : ""
}

output "loadgen_container" {
  description = "Name of the load generator's container, whose command and environment deploy loadtest overrides."
  value       = var.loadgen_enabled ? local.loadgen_container : ""
}

output "loadgen_bucket" {
  description = "S3 bucket of the shards' summaries and the merged reports, under runs/<run id>/."
  value       = var.loadgen_enabled ? aws_s3_bucket.results[0].bucket : ""
}

output "loadgen_subnets" {
  description = "Subnets the load-generator tasks run in, comma-separated."
  value       = var.loadgen_enabled ? join(",", data.aws_subnets.default.ids) : ""
}

output "loadgen_security_group" {
  description = "Security group of the load-generator tasks (egress only)."
  value       = var.loadgen_enabled ? aws_security_group.loadgen[0].id : ""
}
