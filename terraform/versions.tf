terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.aws_region

  # Empty uses the usual chain: AWS_* variables, AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials.
  shared_credentials_files = var.aws_credentials_file != "" ? [var.aws_credentials_file] : null

  default_tags {
    tags = {
      Project = var.name
    }
  }
}
