package online

import (
	"testing"

	"github.com/galley-dev/galley/server"
)

// churnRow is one Telco customer, as the predict benchmark sends it.
var churnRow = server.Rows{
	Columns: []string{"customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService", "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod", "MonthlyCharges", "TotalCharges"},
	Data:    [][]string{{"7590-VHVEG", "Female", "0", "Yes", "No", "1", "No", "No phone service", "DSL", "No", "Yes", "No", "No", "No", "No", "Month-to-month", "Yes", "Electronic check", "29.85", "29.85"}},
}

func TestCSVRoundTrip(t *testing.T) {
	for i := 0; i < 3; i++ { // reused writers and readers
		b, err := encodeRows(churnRow)
		if err != nil {
			t.Fatal(err)
		}
		cols, data, err := decodeScores(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if len(cols) != len(churnRow.Columns) || len(data) != 1 || data[0][7] != "No phone service" || cols[19] != "TotalCharges" {
			t.Fatalf("round trip %d: %v %v", i, cols, data)
		}
	}
}

// BenchmarkCSV encodes one request's row and decodes a one-row reply, as
// each online request does.
func BenchmarkCSV(b *testing.B) {
	reply := "customerID,churn_probability\n7590-VHVEG,0.62434240855076\n"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeRows(churnRow); err != nil {
			b.Fatal(err)
		}
		if _, _, err := decodeScores(reply); err != nil {
			b.Fatal(err)
		}
	}
}
