// Package sample provides datasets for notebooks, examples and tests: the
// real telco-churn and bank-marketing files when they are available, and
// seeded synthetic look-alikes when they are not.
//
// TelcoChurn and BankMarketing look for the CSV file in $GALLEY_DATASETS,
// then in ../shared/datasets beside the repository root (found by walking
// up from the working directory to go.mod). When neither has it they
// return a synthetic table with the same columns and types, generated with
// a fixed seed. Locate reports which happens:
//
//	if path, ok := sample.Locate(sample.TelcoFile); ok {
//		fmt.Println("real data from", path)
//	}
//	f, err := sample.TelcoChurn()
//
// The real files are never copied into the repository.
package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/galley-dev/galley/stdlib/catalog"
	"github.com/galley-dev/galley/stdlib/data"
)

// File names of the real datasets.
const (
	TelcoFile = "telco-churn.csv"
	BankFile  = "bank-marketing.csv"
)

// Locate returns the path of a real dataset file, if one is available in
// catalog.FilesDir() ($GALLEY_DATASETS, else ../shared/datasets beside the
// repository).
func Locate(file string) (string, bool) {
	dir := catalog.FilesDir()
	if dir == "" {
		return "", false
	}
	p := filepath.Join(dir, file)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	return p, true
}

// TelcoChurn loads the telco customer-churn table (7043 rows, label
// "Churn" Yes/No), or a synthetic 7043-row stand-in when the file is absent.
func TelcoChurn() (*data.Frame, error) {
	if p, ok := Locate(TelcoFile); ok {
		return data.ReadCSV(p)
	}
	return Churn(7043, 1)
}

// BankMarketing loads the bank-marketing table (41188 rows, label "y" 0/1,
// ';'-separated), or a synthetic 41188-row stand-in when the file is absent.
func BankMarketing() (*data.Frame, error) {
	if p, ok := Locate(BankFile); ok {
		return data.ReadCSV(p)
	}
	return Bank(41188, 1)
}

func pick(r *rand.Rand, opts []string, weights []float64) string {
	u := r.Float64()
	for i, w := range weights {
		if u < w {
			return opts[i]
		}
		u -= w
	}
	return opts[len(opts)-1]
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Churn generates n customers with the telco table's columns and types.
// Churn is more likely for month-to-month contracts, short tenure, fibre
// internet, electronic checks and no tech support, as in the real data.
func Churn(n int, seed uint64) (*data.Frame, error) {
	if n < 0 {
		return nil, fmt.Errorf("sample.Churn: n = %d is negative", n)
	}
	r := rand.New(rand.NewPCG(seed, 17))
	cols := map[string][]string{}
	str := []string{"customerID", "gender", "Partner", "Dependents", "PhoneService", "MultipleLines", "InternetService",
		"OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies",
		"Contract", "PaperlessBilling", "PaymentMethod", "Churn"}
	for _, c := range str {
		cols[c] = make([]string, n)
	}
	senior := make([]int64, n)
	tenure := make([]int64, n)
	monthly := make([]float64, n)
	total := make([]float64, n)
	totalOK := make([]bool, n)
	for i := 0; i < n; i++ {
		set := func(c, v string) { cols[c][i] = v }
		set("customerID", fmt.Sprintf("%04d-%c%c%c%c%c", r.IntN(10000), 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26), 'A'+r.IntN(26)))
		set("gender", pick(r, []string{"Male", "Female"}, []float64{0.5}))
		if r.Float64() < 0.16 {
			senior[i] = 1
		}
		contract := pick(r, []string{"Month-to-month", "One year", "Two year"}, []float64{0.55, 0.21})
		set("Contract", contract)
		switch contract {
		case "Month-to-month":
			tenure[i] = int64(math.Min(72, r.ExpFloat64()*15))
		case "One year":
			tenure[i] = int64(12 + r.IntN(61))
		default:
			tenure[i] = int64(24 + r.IntN(49))
		}
		set("Partner", yesNo(r.Float64() < 0.48))
		set("Dependents", yesNo(r.Float64() < 0.3))
		phone := r.Float64() < 0.9
		set("PhoneService", yesNo(phone))
		if phone {
			set("MultipleLines", yesNo(r.Float64() < 0.47))
		} else {
			set("MultipleLines", "No phone service")
		}
		internet := pick(r, []string{"Fiber optic", "DSL", "No"}, []float64{0.44, 0.34})
		set("InternetService", internet)
		price := 20.0
		if phone {
			price += 5
		}
		addons := []string{"OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies"}
		for _, a := range addons {
			if internet == "No" {
				set(a, "No internet service")
				continue
			}
			on := r.Float64() < 0.4
			set(a, yesNo(on))
			if on {
				price += 5 + r.Float64()*5
			}
		}
		switch internet {
		case "Fiber optic":
			price += 45
		case "DSL":
			price += 25
		}
		monthly[i] = math.Round((price+r.NormFloat64()*2)*20) / 20
		set("PaperlessBilling", yesNo(r.Float64() < 0.59))
		pay := pick(r, []string{"Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"}, []float64{0.34, 0.23, 0.22})
		set("PaymentMethod", pay)
		if tenure[i] > 0 {
			total[i] = math.Round(float64(tenure[i])*monthly[i]*(0.95+r.Float64()*0.1)*100) / 100
			totalOK[i] = true
		}
		z := -1.6 - 0.035*float64(tenure[i]) + 0.35*float64(senior[i])
		if contract == "Month-to-month" {
			z += 1.4
		}
		if internet == "Fiber optic" {
			z += 0.7
		}
		if pay == "Electronic check" {
			z += 0.5
		}
		if cols["TechSupport"][i] == "Yes" {
			z -= 0.5
		}
		set("Churn", yesNo(r.Float64() < sigmoid(z)))
	}
	series := []data.Series{}
	for _, c := range []string{"customerID", "gender"} {
		series = append(series, data.Strings(c, cols[c]))
	}
	series = append(series, data.Int64s("SeniorCitizen", senior))
	series = append(series, data.Strings("Partner", cols["Partner"]), data.Strings("Dependents", cols["Dependents"]))
	series = append(series, data.Int64s("tenure", tenure))
	for _, c := range str[4:16] {
		series = append(series, data.Strings(c, cols[c]))
	}
	series = append(series, data.Float64s("MonthlyCharges", monthly), data.Float64s("TotalCharges", total).WithValid(totalOK), data.Strings("Churn", cols["Churn"]))
	return data.New(series...)
}

// Bank generates n rows shaped like the bank-marketing table. The label y
// (0/1) depends mostly on call duration, previous contacts and the
// euribor rate, as in the real data.
func Bank(n int, seed uint64) (*data.Frame, error) {
	if n < 0 {
		return nil, fmt.Errorf("sample.Bank: n = %d is negative", n)
	}
	r := rand.New(rand.NewPCG(seed, 29))
	jobs := []string{"admin.", "blue-collar", "technician", "services", "management", "retired", "entrepreneur", "self-employed", "housemaid", "unemployed", "student", "unknown"}
	jobW := []float64{0.25, 0.22, 0.16, 0.1, 0.07, 0.04, 0.035, 0.035, 0.026, 0.025, 0.02}
	edu := []string{"university.degree", "high.school", "basic.9y", "professional.course", "basic.4y", "basic.6y", "unknown", "illiterate"}
	eduW := []float64{0.3, 0.23, 0.15, 0.13, 0.1, 0.06, 0.03}
	var (
		age, duration, campaign, pdays, previous, y   = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		job, marital, education, deflt, housing, loan = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		empVar, priceIdx, confIdx, euribor, employed  = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		regimes                                       = [][5]float64{{1.1, 93.994, -36.4, 4.857, 5191}, {1.4, 93.918, -42.7, 4.96, 5228.1}, {-1.8, 92.893, -46.2, 1.299, 5099.1}, {-0.1, 93.2, -42, 4.191, 5195.8}, {-2.9, 92.201, -31.4, 0.869, 5076.2}}
		regimeWeights                                 = []float64{0.4, 0.25, 0.2, 0.1}
		regimeNames                                   = []string{"0", "1", "2", "3", "4"}
	)
	for i := 0; i < n; i++ {
		age[i] = int64(math.Max(17, math.Min(98, 40+r.NormFloat64()*10)))
		job[i] = pick(r, jobs, jobW)
		marital[i] = pick(r, []string{"married", "single", "divorced", "unknown"}, []float64{0.6, 0.28, 0.11})
		education[i] = pick(r, edu, eduW)
		deflt[i] = pick(r, []string{"no", "unknown", "yes"}, []float64{0.79, 0.2})
		housing[i] = pick(r, []string{"yes", "no", "unknown"}, []float64{0.52, 0.45})
		loan[i] = pick(r, []string{"no", "yes", "unknown"}, []float64{0.82, 0.15})
		duration[i] = int64(r.ExpFloat64() * 258)
		campaign[i] = 1 + int64(r.ExpFloat64()*1.6)
		pdays[i] = 999
		if r.Float64() < 0.14 {
			previous[i] = 1 + int64(r.ExpFloat64()*0.7)
			if r.Float64() < 0.25 {
				pdays[i] = int64(r.IntN(27))
			}
		}
		var k int
		fmt.Sscan(pick(r, regimeNames, regimeWeights), &k)
		g := regimes[k]
		empVar[i], priceIdx[i], confIdx[i], euribor[i], employed[i] = g[0], g[1], g[2], g[3], g[4]
		z := -3.2 + 0.0045*float64(duration[i]) - 0.35*euribor[i] + 0.6*float64(previous[i]) - 0.08*float64(campaign[i])
		if pdays[i] < 999 {
			z += 1.2
		}
		if job[i] == "student" || job[i] == "retired" {
			z += 0.6
		}
		if r.Float64() < sigmoid(z) {
			y[i] = 1
		}
	}
	return data.New(
		data.Int64s("age", age), data.Strings("job", job), data.Strings("marital", marital), data.Strings("education", education),
		data.Strings("default", deflt), data.Strings("housing", housing), data.Strings("loan", loan),
		data.Int64s("duration", duration), data.Int64s("campaign", campaign), data.Int64s("pdays", pdays), data.Int64s("previous", previous),
		data.Float64s("emp.var.rate", empVar), data.Float64s("cons.price.idx", priceIdx), data.Float64s("cons.conf.idx", confIdx),
		data.Float64s("euribor3m", euribor), data.Float64s("nr.employed", employed), data.Int64s("y", y),
	)
}
