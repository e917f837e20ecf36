// Package manifests holds the tests that keep the deployment manifests honest: the Dockerfile,
// docker-compose.yml and the Terraform configuration in terraform/.
//
// The manifests are not Go, so nothing here is compiled into the product. The tests load them
// the way their tools do (compose-go for the compose file, the HCL parser and the terraform CLI
// for terraform/) and check the invariants a deployment depends on: every environment name they
// set is one the app reads (package config), compose and the ECS task set the same names, the
// database password reaches the task only as a secret, the database is not public, the load
// balancer checks /api/v1/health, logs go to CloudWatch, and the image is static and non-root.
package manifests
