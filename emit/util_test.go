package emit

import "fmt"

var sprintf = fmt.Sprintf
