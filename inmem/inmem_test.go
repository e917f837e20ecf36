package inmem_test

import (
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/inmem"
	"github.com/taskoverflow-lab/taskoverflow/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return inmem.New() })
}
